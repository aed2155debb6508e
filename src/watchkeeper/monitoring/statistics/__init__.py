"""Statistics over profiles: drift statistics, their calibrated levels, the verdicts, data quality."""
