"""nn: neurons, layers and MLPs built from ``autograd.Value``, with losses and optimizers."""
