"""Analysis: tables in, tables out (sensitivity indices, PRIM boxes, statistics); no simulation, no files of runs."""
