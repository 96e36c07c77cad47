"""A simulated Grandstream desk phone answering the CTI HTTP API."""
