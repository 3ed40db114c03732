"""A seeded alert storm over a generated topology, with ground truth, and its scorer."""
