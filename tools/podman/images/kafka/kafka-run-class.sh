#!/bin/sh
# kafka-run-class.sh MAIN_CLASS ARGS...: the broker's jars on the class path, logs to stdout.
exec java ${KAFKA_HEAP_OPTS:-} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml \
  -cp '/opt/kafka/libs/*' "$@"
