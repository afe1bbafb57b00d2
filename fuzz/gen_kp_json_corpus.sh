#!/bin/sh
# Writes the seed corpus of fuzz_kp_json into the directory $1: Key Protect
# answers of each kind, as ../shared/notes/keyprotect-api.md and the emulator give
# them. The first byte of a seed picks the parser (0 list, 1 create, 2
# delete, 3 wrap, 4 unwrap, 5 error envelope); the rest is the body.

set -e

dir=${1:?usage: gen_kp_json_corpus.sh DIR}
mkdir -p "$dir"
n=0

seed() {
    n=$((n + 1))
    { printf "\\$(printf '%03o' "$1")"; printf '%s' "$2"; } > "$dir/seed-$n"
}

meta='"metadata":{"collectionType":"application/vnd.ibm.kms.key+json","collectionTotal":1}'
key='{"type":"application/vnd.ibm.kms.key+json","id":"02fd6835-6001-4482-a892-13bd2085f75d","name":"kmip-3b7c3b39-1c4e-4a4d-8e2e-6c8a4d0d9f10","description":"KMIP key","aliases":["kmip-3b7c3b39-1c4e-4a4d-8e2e-6c8a4d0d9f10","kmipr-0"],"state":1,"extractable":true,"crn":"crn:v1:bluemix:public:kms:us-south:a/f0:i:key:02fd","imported":true,"creationDate":"2024-03-12T03:37:32Z","createdBy":"IBMid","algorithmType":"AES","lastUpdateDate":"2024-03-12T03:37:32.52Z","dualAuthDelete":{"enabled":false},"deleted":false}'
withpayload='{"id":"02fd6835","name":"kmip-x","state":1,"extractable":true,"payload":"c2VjcmV0IGtleSBtYXRlcmlhbCBvZiAzMiBieXRlcyEh","creationDate":"2024-03-12T03:37:32Z"}'
deleted='{"id":"9a","name":"kmip-y","state":5,"deleted":true,"deletionDate":"2024-04-01T00:00:00Z","aliases":[]}'

seed 0 "{$meta}"
seed 0 "{$meta,\"resources\":[$key]}"
seed 0 "{$meta,\"resources\":[$key,$deleted,$withpayload]}"
seed 0 "{$meta,\"resources\":[$withpayload]}"
seed 1 "{$meta,\"resources\":[$key]}"
seed 2 ""
seed 2 "{$meta,\"resources\":[$deleted]}"
seed 3 '{"ciphertext":"eyJjaXBoZXJ0ZXh0IjoiYWJjIiwiaXYiOiJkZWYiLCJ2ZXJzaW9uIjoiNC4wLjAiLCJoYW5kbGUiOiIxMjMifQ==","keyVersion":{"id":"12e8c9c2-a162-472d-b7d6-8b9a86b815a6","creationDate":"2024-01-01T00:00:00Z"}}'
seed 3 '{"plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","ciphertext":"eyJ4IjoxfQ==","keyVersion":{"id":"v1"}}'
seed 4 '{"plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","keyVersion":{"id":"v1"}}'
seed 4 '{"plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","ciphertext":"eyJ5IjoyfQ==","rewrappedKeyVersion":{"id":"v2"},"keyVersion":{"id":"v1"}}'
seed 5 '{"metadata":{"collectionType":"application/vnd.ibm.kms.error+json","collectionTotal":1},"resources":[{"errorMsg":"Not Found: Key does not exist","reasons":[{"code":"KEY_NOT_FOUND_ERR","message":"Key does not exist","status":404,"moreInfo":"https://cloud.ibm.com/apidocs/key-protect","target":{"type":"field","name":"id"}}]}]}'
seed 5 '{"metadata":{"collectionType":"application/vnd.ibm.kms.error+json","collectionTotal":1},"resources":[{"errorMsg":"Unauthorized: The user does not have access to the specified resource"}]}'
seed 5 '{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found","context":{"requestId":"abc"}}'
seed 5 'Bad Request: token is expired'
