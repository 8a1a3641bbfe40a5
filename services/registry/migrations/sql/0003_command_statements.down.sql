DROP FUNCTION {schema}.command_reads(text, text[], boolean[], text[]),
    {schema}.append_command(text[], text[], integer[], text[], integer[], uuid[], text[],
        integer[], text[], timestamptz[], text, text, integer, jsonb);
