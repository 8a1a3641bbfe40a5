-- Back to one key per command and the append notification: revision 0005's functions
-- (0005_command_reads.sql, 0005_append_command.sql) and 0002_notify_appended.sql run after this.

DROP FUNCTION {schema}.command_reads(text[], text[], text[], text[], text[]);
DROP FUNCTION {schema}.append_command(text[], jsonb, jsonb, jsonb);
