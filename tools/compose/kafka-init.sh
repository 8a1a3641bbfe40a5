#!/usr/bin/env bash
# The compose `kafka-init` job: Remit's Kafka principals (SCRAM-SHA-512 users) and exactly their
# ACLs, set as the broker's administrator. It runs in the Kafka image, which has the Kafka CLI:
#
#   bash /remit/kafka-init.sh        # docker-compose.yml runs it on every `up`, before `init`
#
# Passwords come from the environment as KAFKA_<USER>_PASSWORD (upper case, "-" as "_"): for
# example KAFKA_REGISTRY_PASSWORD. The administrator logs in with PLAIN, which the broker checks
# against its own configuration (so it works before any SCRAM user exists). No password is put
# on a command line, where every account on the host could read it: the admin client reads its
# login from a file, and the SCRAM credentials reach the JVM in a Java @argfile, both in a
# private temporary directory.
#
# Idempotent: every user's credential is upserted (a changed password takes effect), and for
# each user below the ACLs that are missing are added and those not listed are removed. The list
# is the native stack's (infra/kafka/principals.py); `python -m tools.compose.kafka_init` writes
# it here and CI checks that the two agree.
set -euo pipefail

# >>> generated from infra/kafka/principals.py by `python -m tools.compose.kafka_init`
ADMIN=admin
USERS=(admin registry projections notifier integrator-example)
ACLS=(
  'User:registry TOPIC LITERAL remit.events WRITE'
  'User:registry TOPIC LITERAL remit.events DESCRIBE'
  'User:projections TOPIC LITERAL remit.events READ'
  'User:projections TOPIC LITERAL remit.events DESCRIBE'
  'User:projections GROUP LITERAL remit-projections READ'
  'User:projections TOPIC LITERAL remit.events.dlq WRITE'
  'User:projections TOPIC LITERAL remit.events.dlq DESCRIBE'
  'User:notifier TOPIC LITERAL remit.events READ'
  'User:notifier TOPIC LITERAL remit.events DESCRIBE'
  'User:notifier GROUP LITERAL remit-notifier READ'
  'User:notifier TOPIC LITERAL remit.events.dlq WRITE'
  'User:notifier TOPIC LITERAL remit.events.dlq DESCRIBE'
  'User:integrator-example TOPIC LITERAL remit.events READ'
  'User:integrator-example TOPIC LITERAL remit.events DESCRIBE'
  'User:integrator-example GROUP PREFIXED integrator-example. READ'
)
# <<< generated

BOOTSTRAP=${KAFKA_BOOTSTRAP:-kafka:9092}
BIN=/opt/kafka/bin
MECHANISM=SCRAM-SHA-512
ITERATIONS=8192
RESOURCE_RE='resourceType=([A-Z_]+), name=(.*), patternType=([A-Z]+)\)'
ENTRY_RE='\(principal=([^,]+), host=\*, operation=([A-Z_]+), permissionType=ALLOW\)'

umask 077
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Sets PASSWORD to the password of user $1; fails if it is unset or not URL-safe (it goes into
# a JAAS string and a SCRAM credential spec, which quotes and brackets would break).
password_of() {
  local var=${1^^}
  var="KAFKA_${var//-/_}_PASSWORD"
  PASSWORD=${!var:-}
  if [[ ! $PASSWORD =~ ^[A-Za-z0-9_-]+$ ]]; then
    echo "kafka-init: $var must be set, with letters, digits, - and _ only" >&2
    exit 2
  fi
}

admin_login() {
  password_of "$ADMIN"
  cat >"$WORK/admin.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$ADMIN" password="$PASSWORD";
EOF
}

acls() {
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" \
    --command-config "$WORK/admin.properties" "$@" >/dev/null
}

upsert_user() {
  password_of "$1"
  printf '%s\n' kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" \
    --command-config "$WORK/admin.properties" --alter --entity-type users --entity-name "$1" \
    --add-config "$MECHANISM=[iterations=$ITERATIONS,password=$PASSWORD]" >"$WORK/$1.args"
  "$BIN/kafka-run-class.sh" "@$WORK/$1.args" >/dev/null
  rm "$WORK/$1.args"
}

# Each Kafka CLI call is a JVM start (seconds): independent calls run side by side. spawn
# starts one in the background; join waits for all of them and fails if one did.
PIDS=()
spawn() {
  "$@" &
  PIDS+=($!)
}
join() {
  local pid rc=0
  for pid in "${PIDS[@]}"; do wait "$pid" || rc=$?; done
  PIDS=()
  return "$rc"
}

# The broker's ALLOW bindings, one a line: PRINCIPAL RESOURCE_TYPE PATTERN_TYPE NAME OPERATION.
current_acls() {
  local line resource=""
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" \
    --command-config "$WORK/admin.properties" --list | while IFS= read -r line; do
    if [[ $line =~ $RESOURCE_RE ]]; then
      resource="${BASH_REMATCH[1]} ${BASH_REMATCH[3]} ${BASH_REMATCH[2]}"
    elif [[ $line =~ $ENTRY_RE ]]; then
      echo "${BASH_REMATCH[1]} $resource ${BASH_REMATCH[2]}"
    fi
  done
}

# change --add|--remove "TYPE PATTERN NAME" "PRINCIPAL..." OPERATION...: one kafka-acls.sh
# call, for every principal and operation given.
change() {
  local action=$1 type pattern name principal op args=()
  read -r type pattern name <<<"$2"
  for principal in $3; do args+=(--allow-principal "$principal"); done
  shift 3
  for op in "$@"; do args+=(--operation "$op"); done
  if [[ $action == --remove ]]; then args+=(--force); fi
  acls "$action" --resource-pattern-type "${pattern,,}" "--${type,,}" "$name" "${args[@]}"
}

# apply --add|--remove BINDING...: one call per resource and set of operations, for all the
# principals that have exactly that set on that resource (few JVMs, nothing more granted).
apply() {
  local action=$1 binding principal resource op key
  local -A ops=() who=()
  local pairs=() groups=()
  shift
  for binding in "$@"; do
    principal=${binding%% *}
    op=${binding##* }
    resource=${binding#* }
    key="$principal|${resource% *}"
    if [[ -z ${ops[$key]:-} ]]; then pairs+=("$key"); fi
    ops[$key]="${ops[$key]:-} $op"
  done
  for key in "${pairs[@]}"; do
    principal=${key%%|*}
    key="${key#*|}|${ops[$key]}"
    if [[ -z ${who[$key]:-} ]]; then groups+=("$key"); fi
    who[$key]="${who[$key]:-} $principal"
  done
  for key in "${groups[@]}"; do
    # shellcheck disable=SC2086  # the operations are words
    spawn change "$action" "${key%%|*}" "${who[$key]}" ${key#*|}
  done
  join
}

main() {
  local user binding principal missing=() stale=()
  local -A wanted=() present=() managed=()
  admin_login
  for user in "${USERS[@]}"; do
    password_of "$user" # all checked before anything changes
    managed["User:$user"]=1
  done
  for user in "${USERS[@]}"; do spawn upsert_user "$user"; done
  spawn current_acls >"$WORK/current"
  join
  for binding in "${ACLS[@]}"; do wanted[$binding]=1; done
  while IFS= read -r binding; do present[$binding]=1; done <"$WORK/current"
  for binding in "${ACLS[@]}"; do
    if [[ -z ${present[$binding]:-} ]]; then missing+=("$binding"); fi
  done
  for binding in "${!present[@]}"; do
    principal=${binding%% *}
    if [[ -n ${managed[$principal]:-} && -z ${wanted[$binding]:-} ]]; then stale+=("$binding"); fi
  done
  apply --add "${missing[@]}"
  apply --remove "${stale[@]}"
  echo "kafka-init: ${#USERS[@]} users, ${#ACLS[@]} ACLs (${#missing[@]} added," \
    "${#stale[@]} stale removed)"
}

main "$@"
