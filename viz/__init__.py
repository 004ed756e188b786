"""viz: drawings of computation graphs and networks, and plots of training."""
