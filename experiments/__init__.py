"""Running the model: single runs, sweeps and the command line."""
