"""Infrastructure below the model: parameter declarations, random streams, the kernel cache,
thread counts, safe storage, locks and input errors. Nothing here imports the model or anything
above it."""
