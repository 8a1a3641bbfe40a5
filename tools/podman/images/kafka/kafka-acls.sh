#!/bin/sh
# As in the Kafka distribution: add, remove and list ACLs.
exec /opt/kafka/bin/kafka-run-class.sh org.apache.kafka.tools.AclCommand "$@"
