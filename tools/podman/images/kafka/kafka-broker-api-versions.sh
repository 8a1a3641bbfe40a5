#!/bin/sh
# As in the Kafka distribution: the API versions every broker supports; exit 0 if one answers.
KAFKA_HEAP_OPTS="-Xmx128m" exec /opt/kafka/bin/kafka-run-class.sh \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
