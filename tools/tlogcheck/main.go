// Command tlogcheck checks C2SP transparency log artefacts with
// golang.org/x/mod's sumdb/note and sumdb/tlog packages, as an implementation
// independent of ours. It is built in GOPATH mode against Debian's
// golang-golang-x-mod-dev (see ./build).
//
//	tlogcheck checkpoint VKEY_FILE CHECKPOINT_FILE [WITNESS_VKEY_FILE...]
//	tlogcheck proof VKEY_FILE PROOF_FILE [WITNESS_VKEY_FILE...]
//
// VKEY_FILE holds the log's verifier key (name+hexid+base64(0x01 || key)) on
// one line. The checkpoint must carry a valid signature by that key; other
// signatures (witness cosignatures) are ignored unless a WITNESS_VKEY_FILE
// names their key (an Ed25519 cosignature/v1 vkey, type 0x04): then that
// cosignature must verify, and "cosigned-by NAME TIMESTAMP" is printed for it.
//
// On success both commands print "ORIGIN SIZE BASE64ROOT" (then the
// cosigned-by lines) and exit 0; on failure they print a reason to stderr and
// exit 1 (2 for usage errors).
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	if len(os.Args) < 4 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "checkpoint":
		err = checkpointCmd(os.Args[2], os.Args[3], os.Args[4:])
	case "proof":
		err = proofCmd(os.Args[2], os.Args[3], os.Args[4:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlogcheck %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tlogcheck checkpoint VKEY_FILE CHECKPOINT_FILE [WITNESS_VKEY_FILE...]")
	fmt.Fprintln(os.Stderr, "       tlogcheck proof VKEY_FILE PROOF_FILE [WITNESS_VKEY_FILE...]")
	os.Exit(2)
}

// checkpoint is a parsed, verified checkpoint.
type checkpoint struct {
	origin    string
	size      int64
	root      tlog.Hash
	cosigners []string // "name timestamp" of each verified witness cosignature
}

func (c *checkpoint) print() {
	fmt.Printf("%s %d %s\n", c.origin, c.size, base64.StdEncoding.EncodeToString(c.root[:]))
	for _, w := range c.cosigners {
		fmt.Printf("cosigned-by %s\n", w)
	}
}

func checkpointCmd(vkeyFile, noteFile string, witnessFiles []string) error {
	msg, err := os.ReadFile(noteFile)
	if err != nil {
		return err
	}
	c, err := openCheckpoint(vkeyFile, msg, witnessFiles)
	if err != nil {
		return err
	}
	c.print()
	return nil
}

func readLine(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// openCheckpoint verifies the signed note msg with x/mod's note.Open and
// parses its body as a c2sp.org/tlog-checkpoint.
func openCheckpoint(vkeyFile string, msg []byte, witnessFiles []string) (*checkpoint, error) {
	vkey, err := readLine(vkeyFile)
	if err != nil {
		return nil, err
	}
	logVerifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("log vkey %q: %v", vkey, err)
	}
	verifiers := []note.Verifier{logVerifier}
	for _, f := range witnessFiles {
		wkey, err := readLine(f)
		if err != nil {
			return nil, err
		}
		w, err := newCosignatureVerifier(wkey)
		if err != nil {
			return nil, fmt.Errorf("witness vkey %q: %v", wkey, err)
		}
		verifiers = append(verifiers, w)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return nil, fmt.Errorf("note.Open: %v", err)
	}
	// note.Open accepts a note signed by any known key: insist on the log's.
	c := &checkpoint{}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == logVerifier.Name() && s.Hash == logVerifier.KeyHash() {
			logSigned = true
			continue
		}
		sig, _ := base64.StdEncoding.DecodeString(s.Base64)
		c.cosigners = append(c.cosigners, fmt.Sprintf("%s %d", s.Name, binary.BigEndian.Uint64(sig[4:12])))
	}
	if !logSigned {
		return nil, fmt.Errorf("no verified signature by the log key %s", logVerifier.Name())
	}
	if len(c.cosigners) != len(witnessFiles) {
		return nil, fmt.Errorf("%d witness keys given but %d cosignatures verified", len(witnessFiles), len(c.cosigners))
	}
	if err := parseCheckpoint(n.Text, c); err != nil {
		return nil, err
	}
	if c.origin != logVerifier.Name() {
		return nil, fmt.Errorf("origin %q differs from the log key name %q", c.origin, logVerifier.Name())
	}
	return c, nil
}

// parseCheckpoint parses origin, size and root hash lines (then optional
// extension lines) per c2sp.org/tlog-checkpoint. tlog.ParseTree is not used:
// it expects the go.sum layout ("go.sum database tree\n" first).
func parseCheckpoint(text string, c *checkpoint) error {
	if !strings.HasSuffix(text, "\n") {
		return errors.New("checkpoint body does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return fmt.Errorf("checkpoint body has %d lines, want at least 3", len(lines))
	}
	for _, ext := range lines[3:] {
		if ext == "" {
			return errors.New("empty extension line in checkpoint")
		}
	}
	c.origin = lines[0]
	if c.origin == "" {
		return errors.New("empty origin line")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return fmt.Errorf("malformed tree size %q", lines[1])
	}
	c.size = size
	root, err := tlog.ParseHash(lines[2])
	if err != nil || base64.StdEncoding.EncodeToString(root[:]) != lines[2] {
		return fmt.Errorf("malformed root hash %q", lines[2])
	}
	c.root = root
	return nil
}

func proofCmd(vkeyFile, proofFile string, witnessFiles []string) error {
	b, err := os.ReadFile(proofFile)
	if err != nil {
		return err
	}
	head, msg, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return errors.New("no blank line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return fmt.Errorf("first line %q is not c2sp.org/tlog-proof@v1", lines[0])
	}
	lines = lines[1:]
	var extra []byte
	haveExtra := false
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		extra, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[0], "extra "))
		if err != nil {
			return fmt.Errorf("extra line: %v", err)
		}
		haveExtra = true
		lines = lines[1:]
	}
	if !haveExtra {
		return errors.New("no extra line: the entry's bytes are needed to compute its leaf hash")
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return errors.New("no index line")
	}
	indexText := strings.TrimPrefix(lines[0], "index ")
	index, err := strconv.ParseInt(indexText, 10, 64)
	if err != nil || index < 0 || strconv.FormatInt(index, 10) != indexText {
		return fmt.Errorf("malformed index %q", indexText)
	}
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		h, err := tlog.ParseHash(line)
		if err != nil {
			return fmt.Errorf("malformed proof hash %q", line)
		}
		proof = append(proof, h)
	}
	c, err := openCheckpoint(vkeyFile, msg, witnessFiles)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, c.size, c.root, index, tlog.RecordHash(extra)); err != nil {
		return fmt.Errorf("tlog.CheckRecord(index %d, size %d): %v", index, c.size, err)
	}
	c.print()
	return nil
}

// cosignatureVerifier verifies c2sp.org/tlog-cosignature cosignature/v1
// Ed25519 signatures (vkey type 0x04), which x/mod does not know: the
// signature is an 8-byte big-endian timestamp then an Ed25519 signature over
// "cosignature/v1\ntime <timestamp>\n" followed by the note text.
type cosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func newCosignatureVerifier(vkey string) (*cosignatureVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3) // the base64 key may contain '+'

	if len(parts) != 3 || len(parts[1]) != 8 {
		return nil, errors.New("malformed vkey")
	}
	hash, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return nil, errors.New("malformed key ID")
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != 0x04 {
		return nil, errors.New("not an Ed25519 cosignature/v1 (type 0x04) key")
	}
	id := sha256.Sum256(append([]byte(parts[0]+"\n"), key...))
	if binary.BigEndian.Uint32(id[:4]) != uint32(hash) {
		return nil, errors.New("key ID does not match the key")
	}
	return &cosignatureVerifier{name: parts[0], hash: uint32(hash), key: ed25519.PublicKey(key[1:])}, nil
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }
func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	if t > 1<<63-1 {
		return false
	}
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}
