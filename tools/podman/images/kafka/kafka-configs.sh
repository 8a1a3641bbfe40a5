#!/bin/sh
# As in the Kafka distribution: describe and alter dynamic configs and SCRAM credentials.
exec /opt/kafka/bin/kafka-run-class.sh kafka.admin.ConfigCommand "$@"
