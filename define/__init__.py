"""Define-XML 2.1: writer, schema check, reader."""
