"""The pages of places: ``resident`` (the public directory) and ``console`` (staff, one module per
resource)."""
