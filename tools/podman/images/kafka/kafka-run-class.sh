#!/bin/sh
# kafka-run-class.sh MAIN_CLASS ARGS...: the broker's jars on the class path, as the
# distribution's script: KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS, and
# KAFKA_LOG4J_OPTS (default: the tools' logging, warnings to stderr; the broker sets its own).
# Like the JVM itself, it takes an @argfile in place of MAIN_CLASS ARGS.
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:-} ${KAFKA_OPTS:-} \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.yaml} \
  -cp '/opt/kafka/libs/*' "$@"
