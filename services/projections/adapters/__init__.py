"""PostgreSQL read-model store, Kafka consumer and dead-letter producer."""
