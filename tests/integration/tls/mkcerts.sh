#!/bin/sh
# Makes a throw-away test CA and server certificates in OUTDIR (created if
# needed), for the TLS tests of the SMTP client. Nothing here is ever
# committed: the tests call this at run time into a temporary directory.
#
#   sh tests/integration/tls/mkcerts.sh OUTDIR
#
# Writes:
#   ca.pem, ca.key          the test CA (self-signed, CA:TRUE)
#   server.pem, server.key  leaf for DNS:localhost only, signed by the CA
#                           (so https/smtp to 127.0.0.1 must fail the host
#                           name check, to localhost must pass)
#   other-ca.pem            a second CA that signed nothing we serve (for
#                           "unknown CA" checks with a CA file set)
set -eu
out=${1:?usage: mkcerts.sh OUTDIR}
openssl=${OPENSSL:-/usr/bin/openssl}
mkdir -p "$out"
cd "$out"
umask 077

key() { "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$1" 2>/dev/null; }

key ca.key
"$openssl" req -x509 -new -key ca.key -days 2 -subj "/CN=rundbrief test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem 2>/dev/null

key other-ca.key
"$openssl" req -x509 -new -key other-ca.key -days 2 \
	-subj "/CN=rundbrief other test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out other-ca.pem 2>/dev/null

key server.key
"$openssl" req -new -key server.key -subj "/CN=localhost" -out server.csr \
	2>/dev/null
cat > server.ext <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost
EXT
"$openssl" x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl other-ca.key
chmod 644 ca.pem other-ca.pem server.pem
