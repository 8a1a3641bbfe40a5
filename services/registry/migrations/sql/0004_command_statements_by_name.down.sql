DROP FUNCTION {schema}.append_command(text[], jsonb, jsonb, jsonb),
    {schema}.moved_stream(jsonb), {schema}.command_reads(text, text[], text[], text[]),
    {schema}.lock_streams(text[], text[]);
