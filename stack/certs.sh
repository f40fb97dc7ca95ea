#!/usr/bin/env bash
# certs.sh DIR: makes, once, the TLS material of the local servers' secured
# endpoints in DIR: a CA, a broker certificate for 127.0.0.1/localhost and a
# client certificate, each in PEM, PKCS12 and JKS form, plus a second CA
# the servers do not trust (for tests of refused certificates); and the
# secured Cassandra's server certificate, signed by the same CA.
# Every store and key is protected by $TLS_PASSWORD.
set -euo pipefail
dir=$1
pass=${TLS_PASSWORD:-gonnect-tls}
days=3650

ca() { # ca NAME SUBJECT
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days $days -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # leaf NAME CA SUBJECT EXT
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days $days -extfile "$1.ext" 2>/dev/null
  # PKCS12 keystore with the chain, then the same as JKS.
  openssl pkcs12 -export -in "$1.pem" -inkey "$1.key" -certfile "$2.pem" -name "$1" -out "$1.p12" -passout "pass:$pass"
  keytool -importkeystore -noprompt -srckeystore "$1.p12" -srcstoretype PKCS12 -srcstorepass "$pass" \
    -destkeystore "$1.jks" -deststoretype JKS -deststorepass "$pass" -destkeypass "$pass" >/dev/null 2>&1
  # The key encrypted with the password too (ssl.key.password with PEM stores).
  openssl pkcs8 -topk8 -in "$1.key" -out "$1-encrypted.key" -passout "pass:$pass" -v2 aes-256-cbc
  rm -f "$1.csr" "$1.ext"
}
truststore() { # truststore NAME CA
  keytool -importcert -noprompt -alias ca -file "$2.pem" -keystore "$1.jks" -storetype JKS -storepass "$pass" >/dev/null 2>&1
  keytool -importcert -noprompt -alias ca -file "$2.pem" -keystore "$1.p12" -storetype PKCS12 -storepass "$pass" >/dev/null 2>&1
}

# cassandra_cert: the secured Cassandra's keystore, made in DIR once, with the
# CA already there (so a DIR made before it existed keeps its CA, which the
# running servers were given).
cassandra_cert() {
  [ -f "$dir/.cassandra-complete" ] && return 0
  rm -rf "$dir/.cassandra.tmp" && mkdir -p "$dir/.cassandra.tmp"
  cp "$dir/ca.pem" "$dir/ca.key" "$dir/.cassandra.tmp/"
  (cd "$dir/.cassandra.tmp" && leaf cassandra ca "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" && rm -f ./*.srl ca.pem ca.key && mv cassandra* "$dir/")
  rm -rf "$dir/.cassandra.tmp"
  touch "$dir/.cassandra-complete"
}

if [ -f "$dir/.complete" ]; then cassandra_cert; exit 0; fi
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
cd "$dir.tmp"

ca ca "/CN=gonnect test CA"
ca untrusted-ca "/CN=gonnect untrusted CA"
leaf broker ca "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
leaf client ca "/CN=gonnect-client" "extendedKeyUsage=clientAuth"
leaf untrusted-client untrusted-ca "/CN=untrusted-client" "extendedKeyUsage=clientAuth"
truststore truststore ca
truststore untrusted-truststore untrusted-ca
rm -f ./*.srl
echo "$pass" >password
touch .complete
cd .. && rm -rf "$dir" && mv "$dir.tmp" "$dir"
cassandra_cert
