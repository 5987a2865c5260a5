#!/usr/bin/env bash
# The main job on a new Debian 12 machine: installs what is needed, builds,
# provisions a swtpm vTPM the way libvirt does (swtpm_setup --create-ek-cert
# with a local CA made for this demo), starts the verifier (embedded SQLite)
# and runs the agent once. Ends with the verdict; exits with the agent's
# status (0 PASS, 1 FAIL, 2 error).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
./scripts/install-deps.sh
./scripts/build.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vtpm-attest-demo.XXXXXX")
SWTPM_PID=""; VERIFIER_PID=""
cleanup() {
  [ -n "$VERIFIER_PID" ] && kill "$VERIFIER_PID" 2>/dev/null || true
  [ -n "$SWTPM_PID" ] && kill "$SWTPM_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${VTPM_KEEP_DEMO:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
echo "== demo directory: $WORK"

echo "== 1. a platform EK CA (swtpm-localca, private to this demo)"
mkdir -p "$WORK/ca"
cat > "$WORK/ca/swtpm-localca.conf" <<CONF
statedir = $WORK/ca
signingkey = $WORK/ca/signkey.pem
issuercert = $WORK/ca/issuercert.pem
certserial = $WORK/ca/certserial
CONF
printf -- "--platform-manufacturer vtpm-attest-demo\n--platform-version 2.1\n--platform-model QEMU\n" > "$WORK/ca/swtpm-localca.options"
cat > "$WORK/ca/swtpm_setup.conf" <<CONF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $WORK/ca/swtpm-localca.conf
create_certs_tool_options = $WORK/ca/swtpm-localca.options
CONF

echo "== 2. a vTPM provisioned like libvirt does it"
VM_UUID=$(cat /proc/sys/kernel/random/uuid)
mkdir -p "$WORK/tpm"
swtpm_setup --tpm2 --tpmstate "$WORK/tpm" --create-ek-cert --create-platform-cert \
  --ecc --vmid "demo-vm:$VM_UUID" --config "$WORK/ca/swtpm_setup.conf" >"$WORK/swtpm_setup.log" 2>&1
swtpm socket --tpm2 --tpmstate "dir=$WORK/tpm" \
  --server "type=unixio,path=$WORK/tpm.sock" --ctrl "type=unixio,path=$WORK/tpm.sock.ctrl" \
  --flags not-need-init,startup-clear >"$WORK/swtpm.log" 2>&1 &
SWTPM_PID=$!
for _ in $(seq 100); do [ -S "$WORK/tpm.sock" ] && break; sleep 0.05; done

echo "== 3. verifier TLS certificate, trust store and policy"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -keyout "$WORK/tls-ca.key" -out "$WORK/tls-ca.pem" -subj "/CN=vtpm-attest demo CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$WORK/verifier.key" -out "$WORK/verifier.csr" -subj "/CN=localhost" 2>/dev/null
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" > "$WORK/ext.cnf"
openssl x509 -req -in "$WORK/verifier.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" \
  -CAcreateserial -days 1 -extfile "$WORK/ext.cnf" -out "$WORK/verifier.pem" 2>/dev/null
mkdir -p "$WORK/trust/libvirt" "$WORK/policies"
cp "$WORK/ca/swtpm-localca-rootca-cert.pem" "$WORK/trust/libvirt/root.pem"
cp "$WORK/ca/issuercert.pem" "$WORK/trust/libvirt/intermediate.pem"
cp "$ROOT/policies/default.json" "$WORK/policies/"

echo "== 4. the verifier (SQLite at $WORK/verifier.db)"
"$ROOT/build/verifier/vtpm-attest-verifier" --config /dev/null --listen 127.0.0.1:0 \
  --port-file "$WORK/port" --tls-cert "$WORK/verifier.pem" --tls-key "$WORK/verifier.key" \
  --trust-store "$WORK/trust" --policy-dir "$WORK/policies" --database "$WORK/verifier.db" \
  >"$WORK/verifier.log" 2>&1 &
VERIFIER_PID=$!
for _ in $(seq 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
echo "   listening on 127.0.0.1:$PORT"

echo "== 5. the agent, once (as a CI gate would run it)"
set +e
"$ROOT/build/agent/vtpm-attest-agent" attest --once --config /dev/null \
  --tcti "swtpm:path=$WORK/tpm.sock" --state-dir "$WORK/agent-state" \
  --verifier "localhost:$PORT" --ca-cert "$WORK/tls-ca.pem" --label image=demo
STATUS=$?
set -e
echo "== agent exit status: $STATUS (0 PASS, 1 FAIL, 2 error)"
exit $STATUS
