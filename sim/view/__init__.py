"""The pygame viewer: reads recorded runs or a live model, never changes the model."""
