"""Load testing: trace replay, platform profiles and the reference case platform."""
