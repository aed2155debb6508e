"""Monitoring: profiles, drift, data quality, performance with delayed labels, money."""
