#!/usr/bin/env bash
# The walk-through: one data product from signup to a verified certificate,
# through every step of the procedure, against a running registry; then the
# certificate goes to a natural person.
#
#   dataip demo                  # in one terminal (30-second announcements)
#   examples/walkthrough.sh      # in another: about a minute
#
# It is written to be read: each step is one or two requests, as an
# applicant's system, a reviewer and the public would make them. It needs
# bash, curl and jq, and the dataip binary for the offline checks. Settings
# (environment variables):
#   DATAIP_URL         the registry (default http://127.0.0.1:8080)
#   REVIEWER_EMAIL     a reviewer's login (default: the demo's reviewer); it also
#                      verifies the organization
#   REVIEWER_PASSWORD
#   DATAIP             the dataip binary (default: on PATH, else target/release or target/debug)
#   WORKDIR            where the sample files and results go (default: a new temporary directory)
set -euo pipefail

DATAIP_URL=${DATAIP_URL:-http://127.0.0.1:8080}
API=$DATAIP_URL/api/v1
REVIEWER_EMAIL=${REVIEWER_EMAIL:-reviewer@demo.dataip.example}
REVIEWER_PASSWORD=${REVIEWER_PASSWORD:-demo reviewer password}
WORKDIR=${WORKDIR:-$(mktemp -d -t dataip-walkthrough.XXXXXX)}
HERE=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${DATAIP:-}" ]; then
    for candidate in "$(command -v dataip || true)" "$HERE/target/release/dataip" "$HERE/target/debug/dataip"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then DATAIP=$candidate; break; fi
    done
fi
for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "walkthrough: $tool is needed (e.g. apt-get install $tool)" >&2; exit 1; }
done
[ -n "${DATAIP:-}" ] || { echo "walkthrough: no dataip binary; build it (cargo build --release) or set DATAIP" >&2; exit 1; }
mkdir -p "$WORKDIR"
cd "$WORKDIR"

step() { printf '\n== %s\n' "$*"; }

# Every request: on an error, the server's problem+json is printed and the
# walk-through stops (--fail-with-body keeps the body that says what is wrong).
call() {
    local out status=0
    out=$(curl --silent --show-error --fail-with-body "$@") || status=$?
    if [ "$status" -ne 0 ]; then
        printf 'request failed (curl exit %s): curl %s\n%s\n' "$status" "$*" "$out" >&2
        exit 1
    fi
    printf '%s' "$out"
}
# json METHOD PATH [BODY] [curl options...]
json() {
    local method=$1 path=$2 body=${3:-}
    shift 2; [ $# -gt 0 ] && shift
    if [ -n "$body" ]; then
        call -X "$method" "$API$path" -H 'content-type: application/json' --data "$body" "$@"
    else
        call -X "$method" "$API$path" "$@"
    fi
}

# A unified social credit code (GB 32100-2015) that no earlier run used:
# 17 characters and their check character.
credit_code() {
    local alphabet=0123456789ABCDEFGHJKLMNPQRTUWXY weights=(1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28)
    local code=91310000 sum=0 i c prefix
    for i in $(seq 9); do code+=${alphabet:$((RANDOM % 31)):1}; done
    for i in $(seq 0 16); do
        c=${code:$i:1}; prefix=${alphabet%%"$c"*}
        sum=$((sum + ${#prefix} * weights[i]))
    done
    printf '%s%s' "$code" "${alphabet:$(((31 - sum % 31) % 31)):1}"
}

# A resident identity number (GB 11643-1999) that no earlier run used: a
# Beijing district, a date of birth, a sequence number and the check character.
id_number() {
    local weights=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) checks=10X98765432 sum=0 i
    local number
    number=110105$(printf '19%02d%02d%02d%03d' $((60 + RANDOM % 40)) $((1 + RANDOM % 12)) $((1 + RANDOM % 28)) $((RANDOM % 1000)))
    for i in $(seq 0 16); do sum=$((sum + ${number:$i:1} * weights[i])); done
    printf '%s%s' "$number" "${checks:$((sum % 11)):1}"
}

# A one-page PDF saying TEXT (ASCII), with a correct cross-reference table.
make_pdf() {
    local file=$1 text=$2 out i xref
    local stream="BT /F1 16 Tf 72 760 Td ($text) Tj ET"
    local objects=(
        ""
        "<< /Type /Catalog /Pages 2 0 R >>"
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
        "<< /Length ${#stream} >>"$'\n'"stream"$'\n'"$stream"$'\n'"endstream"
    )
    local offsets=()
    out=$'%PDF-1.4\n'
    for i in 1 2 3 4 5; do
        offsets[i]=${#out}
        out+="$i 0 obj"$'\n'"${objects[i]}"$'\n'"endobj"$'\n'
    done
    xref=${#out}
    out+=$'xref\n0 6\n0000000000 65535 f \n'
    for i in 1 2 3 4 5; do out+=$(printf '%010d 00000 n ' "${offsets[i]}")$'\n'; done
    out+="trailer"$'\n'"<< /Size 6 /Root 1 0 R >>"$'\n'"startxref"$'\n'"$xref"$'\n'"%%EOF"$'\n'
    LC_ALL=C printf '%s' "$out" > "$file"
}

RUN=$(date +%s)-$RANDOM        # makes e-mail addresses and idempotency keys unique per run
OWNER_EMAIL="owner-$RUN@example.com"
OWNER_PASSWORD="walkthrough password $RUN"

step "1. An organization signs up; its owner gets an access token (15 minutes) and a refresh token"
SIGNUP=$(json POST /auth/signup "$(jq -n --arg code "$(credit_code)" --arg email "$OWNER_EMAIL" --arg password "$OWNER_PASSWORD" \
    '{organization: {name: "上海数据科技有限公司", credit_code: $code},
      user: {email: $email, password: $password, display_name: "张伟"}}')")
TOKEN=$(jq -r .access_token <<<"$SIGNUP"); REFRESH=$(jq -r .refresh_token <<<"$SIGNUP")
jq -c '{organization: .organization.name, credit_code: .organization.credit_code, verification: .organization.verification, expires_in}' <<<"$SIGNUP"
ORG=$(jq -r .organization.id <<<"$SIGNUP")

step "1b. It uploads its business licence; a reviewer checks it and verifies the organization (until then it may prepare drafts, not submit)"
make_pdf licence.pdf "dataip walk-through: business licence"
call -X PUT "$API/organization/business-licence" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/pdf' -H 'content-disposition: attachment; filename="licence.pdf"' \
    --data-binary @licence.pdf | jq -c '{verification, licence: .business_licence.filename}'
RTOKEN=$(json POST /auth/login "$(jq -n --arg e "$REVIEWER_EMAIL" --arg p "$REVIEWER_PASSWORD" '{email: $e, password: $p}')" \
    | jq -r .access_token)
json GET "/admin/organizations?verification=pending&limit=100" '' -H "authorization: Bearer $RTOKEN" \
    | jq -c --arg id "$ORG" '.items[] | select(.id == $id) | {name, credit_code, verification}'
call "$API/admin/organizations/$ORG/business-licence" -H "authorization: Bearer $RTOKEN" -o licence-as-staff-see-it.pdf
cmp licence.pdf licence-as-staff-see-it.pdf || exit 1
echo "the reviewer reads the licence as uploaded"
# The verification names the licence read (its ETag, the SHA-256): had the
# owner replaced it meanwhile, the answer would be 412 and nothing verified.
SEEN=$(sha256sum licence-as-staff-see-it.pdf | cut -d' ' -f1)
json POST "/admin/organizations/$ORG/verify" '{"name": "上海数据科技有限公司"}' -H "authorization: Bearer $RTOKEN" \
    -H "if-match: \"$SEEN\"" | jq -c '{name, verification}'

step "2. It prepares an application (the Idempotency-Key makes a retried POST safe)"
APPLICATION=$(json POST /applications '{
    "product_name": "长三角物流时效数据集", "category": "data_collection",
    "abstract": "覆盖长三角地区的物流时效数据，按日更新。",
    "data_sources": [{"kind": "self_collected", "description": "自有物流系统运单数据"}],
    "data_format": "CSV", "update_frequency": "每日"}' \
    -H "authorization: Bearer $TOKEN" -H "idempotency-key: walkthrough-$RUN")
ID=$(jq -r .id <<<"$APPLICATION")
jq -c '{id, state}' <<<"$APPLICATION"

step "3. It uploads the four required materials (raw bytes; the media type is checked) and submits"
for kind in application_form summary processing_innovation application_scenarios; do
    make_pdf "$kind.pdf" "dataip walk-through: $kind"
    call -X PUT "$API/applications/$ID/materials/$kind" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: application/pdf' -H "content-disposition: attachment; filename=\"$kind.pdf\"" \
        --data-binary "@$kind.pdf" | jq -c '{kind, size, sha256}'
done
json POST "/applications/$ID/submit" '{"commitment": true}' -H "authorization: Bearer $TOKEN" \
    | jq -c '{state, application_number}'

step "4. A reviewer claims it and asks for a supplement: proof of the data's source"
json POST "/review/applications/$ID/claim" '{}' -H "authorization: Bearer $RTOKEN" | jq -c '{state}'
json POST "/review/applications/$ID/request-supplement" '{"reason": "请补充数据来源的授权证明", "due_in_days": 10}' \
    -H "authorization: Bearer $RTOKEN" | jq -c '{state, supplement}'

step "5. The applicant adds the proof and submits again; the reviewer approves"
make_pdf proof.pdf "dataip walk-through: data source proof"
call -X PUT "$API/applications/$ID/materials/data_source_proof" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/pdf' --data-binary @proof.pdf | jq -c '{kind, sha256}'
json POST "/applications/$ID/submit" '{"commitment": true}' -H "authorization: Bearer $TOKEN" | jq -c '{state}'
json POST "/review/applications/$ID/claim" '{}' -H "authorization: Bearer $RTOKEN" | jq -c '{state}'
APPROVED=$(json POST "/review/applications/$ID/approve" '{"comment": "材料齐全"}' -H "authorization: Bearer $RTOKEN")
jq -c '{state, registration_number, announcement}' <<<"$APPROVED"

step "6. The public reads the announcement (hashes of the materials, never their contents); one objects, with evidence"
curl --silent --show-error --fail-with-body -G "$API/public/announcements" --data-urlencode "q=物流" \
    | jq -c --arg id "$ID" '.items[] | select(.id == $id) | {product_name, holder_name, holder_verified, ends_at, materials: (.materials | length)}'
OBJECTION=$(json POST "/public/announcements/$ID/objections" '{
    "objector": {"name": "王五", "contact_email": "wangwu@example.org"},
    "interest": "我们是该数据的原始采集方", "grounds": "运单数据未经授权"}')
OID=$(jq -r .id <<<"$OBJECTION"); OTOKEN=$(jq -r .tracking_token <<<"$OBJECTION")
make_pdf evidence.pdf "dataip walk-through: the objector's evidence"
call -X POST "$API/public/objections/$OID/evidence?token=$OTOKEN" -H 'content-type: application/pdf' \
    -H 'content-disposition: attachment; filename="evidence.pdf"' --data-binary @evidence.pdf | jq -c '{filename, size}'
call "$API/public/objections/$OID?token=$OTOKEN" | jq -c '{state, decision_due_at, evidence: (.evidence | length)}'

step "7. The holder reads the evidence and answers; the reviewer dismisses the objection; the objector sees both"
json GET "/applications/$ID/objections/$OID/evidence" '' -H "authorization: Bearer $TOKEN" | jq -c '[.[].filename]'
json POST "/applications/$ID/objections/$OID/response" '{"text": "数据由我方系统合法采集"}' \
    -H "authorization: Bearer $TOKEN" -H "idempotency-key: response-$RUN" | jq -c '{text}'
json POST "/review/objections/$OID/decide" '{"decision": "dismissed", "reason": "申请人已证明数据来源合法"}' \
    -H "authorization: Bearer $RTOKEN" | jq -c '{state, decision_reason}'
call "$API/public/objections/$OID?token=$OTOKEN" | jq -c '{state, decision_reason, responses: [.responses[].text]}'

step "8. The announcement ends; the worker issues the certificate (waiting for $(jq -r .announcement.ends_at <<<"$APPROVED"))"
for attempt in $(seq 600); do
    STATE=$(json GET "/applications/$ID" '' -H "authorization: Bearer $TOKEN" | jq -r .state)
    [ "$STATE" = registered ] && break
    [ "$attempt" = 600 ] && { echo "still $STATE after 10 minutes; is the worker running?" >&2; exit 1; }
    sleep 1
done
echo "registered"

step "9. Access tokens are short-lived: the applicant refreshes (the old refresh token stops working)"
PAIR=$(json POST /auth/refresh "$(jq -n --arg t "$REFRESH" '{refresh_token: $t}')")
TOKEN=$(jq -r .access_token <<<"$PAIR")
jq -c '{token_type, expires_in}' <<<"$PAIR"

step "10. The certificate: its public record, and an offline check against the registry's key"
json GET /certificates '' -H "authorization: Bearer $TOKEN" | jq '.items[0]' > certificate.json
NUMBER=$(jq -r .certificate_number certificate.json); CID=$(jq -r .id certificate.json)
jq -c '{certificate_number, status, valid_until, ledger: (.ledger != null)}' certificate.json
call "$API/public/certificates/$NUMBER" | jq -c '{status, holder: .holder.name, verified: .holder.verified, product: .product.name}'
if [ "$(jq -r '.ledger == null' certificate.json)" = true ]; then
    sleep 2   # the worker appends the issuance to the ledger on its next step
    json GET "/certificates/$CID" '' -H "authorization: Bearer $TOKEN" > certificate.json
fi
"$DATAIP" verify certificate.json --public-key "$DATAIP_URL"

step "11. The certificate as a PDF (A4, a QR code to the public record, its offline proof attached), checked with a policy"
call "$API/certificates/$CID/pdf" -H "authorization: Bearer $TOKEN" -o certificate.pdf
printf 'certificate.pdf: %s bytes\n' "$(wc -c < certificate.pdf)"
call "$DATAIP_URL/tlog/policy" -o policy.txt   # the log's key, its witnesses and the quorum (C2SP tlog-policy)
"$DATAIP" verify certificate.pdf --policy policy.txt

step "12. After registration: a bank signs up and is verified; the holder pledges the certificate to it; the bank confirms; a reviewer approves"
BANK_EMAIL="bank-$RUN@example.com"
BANK=$(json POST /auth/signup "$(jq -n --arg code "$(credit_code)" --arg email "$BANK_EMAIL" --arg password "$OWNER_PASSWORD" \
    '{organization: {name: "上海银行股份有限公司", credit_code: $code},
      user: {email: $email, password: $password, display_name: "李娜"}}')")
BTOKEN=$(jq -r .access_token <<<"$BANK"); BANK_ORG=$(jq -r .organization.id <<<"$BANK")
BANK_CODE=$(jq -r .organization.credit_code <<<"$BANK")
make_pdf bank-licence.pdf "dataip walk-through: the bank's business licence"
call -X PUT "$API/organization/business-licence" -H "authorization: Bearer $BTOKEN" \
    -H 'content-type: application/pdf' -H 'content-disposition: attachment; filename="licence.pdf"' \
    --data-binary @bank-licence.pdf > /dev/null
SEEN=$(sha256sum bank-licence.pdf | cut -d' ' -f1)
json POST "/admin/organizations/$BANK_ORG/verify" '{}' -H "authorization: Bearer $RTOKEN" -H "if-match: \"$SEEN\"" \
    | jq -c '{name, verification}'
PLEDGE=$(json POST "/certificates/$CID/acts" "$(jq -n --arg code "$BANK_CODE" '{kind: "pledge",
    pledgee: {name: "上海银行股份有限公司", credit_code: $code},
    secured_amount: {amount: "5000000.00", currency: "CNY"}, starts_on: "2027-01-01", ends_on: "2028-12-31"}')" \
    -H "authorization: Bearer $TOKEN" -H "idempotency-key: pledge-$RUN" | jq -r .id)
# The pledge waits for its pledgee: the bank finds it among the acts awaiting its word, and confirms.
json GET /confirmations '' -H "authorization: Bearer $BTOKEN" | jq -c '.[] | {id, kind, state}'
json POST "/confirmations/$PLEDGE/confirm" '' -H "authorization: Bearer $BTOKEN" | jq -c '{kind, state}'
json POST "/review/acts/$PLEDGE/approve" '{}' -H "authorization: Bearer $RTOKEN" | jq -c '{kind, state}'
call "$API/public/certificates/$NUMBER" | jq -c '{pledges}'

step "13. The ledger shows the pledge's amount only as a commitment; the holder proves it offline"
for attempt in $(seq 30); do
    json GET "/certificates/$CID/acts/$PLEDGE/openings" '' -H "authorization: Bearer $TOKEN" > opening.json
    [ "$(jq -r '.entry != null' opening.json)" = true ] && break
    sleep 1
done
"$DATAIP" verify --opening opening.json --public-key "$DATAIP_URL"

step "14. A natural person signs up with an identity number (shown back masked) and is verified on their identity document"
PERSON_EMAIL="person-$RUN@example.com"
PERSON_ID_NUMBER=$(id_number)
PERSON=$(json POST /auth/signup "$(jq -n --arg number "$PERSON_ID_NUMBER" --arg email "$PERSON_EMAIL" --arg password "$OWNER_PASSWORD" \
    '{person: {name: "王芳", id_number: $number}, user: {email: $email, password: $password, display_name: "王芳"}}')")
PTOKEN=$(jq -r .access_token <<<"$PERSON"); PARTY=$(jq -r .party.id <<<"$PERSON")
jq -c '{kind: .party.kind, name: .party.name, id_number_masked: .party.id_number_masked}' <<<"$PERSON"
make_pdf identity.pdf "dataip walk-through: identity document"
call -X PUT "$API/party/verification-document" -H "authorization: Bearer $PTOKEN" \
    -H 'content-type: application/pdf' -H 'content-disposition: attachment; filename="identity.pdf"' \
    --data-binary @identity.pdf > /dev/null
SEEN=$(sha256sum identity.pdf | cut -d' ' -f1)
json POST "/admin/organizations/$PARTY/verify" '{}' -H "authorization: Bearer $RTOKEN" -H "if-match: \"$SEEN\"" \
    | jq -c '{kind, name, id_number_masked, verification}'

step "15. The bank releases its pledge itself; the holder transfers the certificate to the person, who accepts; the ledger names them by a commitment"
# Filed by the pledgee's own party, the release goes straight to review.
RELEASE=$(json POST "/certificates/$CID/acts" "$(jq -n --arg id "$PLEDGE" '{kind: "pledge_release", pledge_id: $id}')" \
    -H "authorization: Bearer $BTOKEN" | jq -r .id)
json POST "/review/acts/$RELEASE/approve" '{}' -H "authorization: Bearer $RTOKEN" | jq -c '{kind, state}'
TRANSFER=$(json POST "/certificates/$CID/acts" "$(jq -n --arg n "$PERSON_ID_NUMBER" '{kind: "transfer", transferee_id_number: $n}')" \
    -H "authorization: Bearer $TOKEN" | jq -r .id)
# The transfer waits for the transferee: the person accepts it, then it goes to review.
json GET /confirmations '' -H "authorization: Bearer $PTOKEN" | jq -c '.[] | {id, kind, state}'
json POST "/confirmations/$TRANSFER/confirm" '' -H "authorization: Bearer $PTOKEN" | jq -c '{kind, state}'
json POST "/review/acts/$TRANSFER/approve" '{}' -H "authorization: Bearer $RTOKEN" | jq -c '{kind, state, transferee: .details.transferee | {kind, name, id_number_masked}}'
call "$API/public/certificates/$NUMBER" | jq -c '{holder}'
for attempt in $(seq 30); do
    json GET "/certificates/$CID/acts/$TRANSFER/openings" '' -H "authorization: Bearer $PTOKEN" > transfer-opening.json
    [ "$(jq -r '.entry != null' transfer-opening.json)" = true ] && break
    sleep 1
done
"$DATAIP" verify --opening transfer-opening.json --public-key "$DATAIP_URL"

step "16. The bank watches the certificate, files its signed status (checked offline against the policy), and rebuilds every status from the tiles"
json POST /watches "$(jq -n --arg n "$NUMBER" '{kind: "certificate", value: $n, channels: ["webhook"]}')" \
    -H "authorization: Bearer $BTOKEN" | jq -c '{kind, value}'
# The transfer is answered once it is in a checkpoint; until then "pending".
for attempt in $(seq 30); do
    call "$API/public/certificates/$NUMBER/status" > status.json
    [ "$(jq -r '.pending // false' status.json)" = false ] && [ "$(jq -r '.holders[0].kind' status.json)" = person ] && break
    sleep 1
done
jq -c '{type, status, holders, pledged, preserved, tree_size}' status.json
"$DATAIP" verify --status status.json --policy policy.txt --max-age P1D
"$DATAIP" ledger replay "$DATAIP_URL" --policy policy.txt --compare "$DATAIP_URL"

printf '\nDone: certificate %s verified. Files in %s:\n' "$NUMBER" "$WORKDIR"
ls "$WORKDIR"
