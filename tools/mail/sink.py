"""An SMTP server for the tests: every message it receives is written to
OUT/NNNN.json as {from, to, subject, headers, text, html}.

    python sink.py PORT OUT
"""
import email
import email.policy
import json
import pathlib
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = pathlib.Path(out)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "headers": {name: str(value) for name, value in message.items()},
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        self.count += 1
        path = self.out / f"{self.count:04}.json"
        path.with_suffix(".tmp").write_text(json.dumps(record, ensure_ascii=False))
        path.with_suffix(".tmp").rename(path)
        return "250 OK"


if __name__ == "__main__":
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
