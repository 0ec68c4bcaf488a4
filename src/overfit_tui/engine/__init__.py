"""Training engine: data on the device, models, the training loop, devices. No Textual."""
