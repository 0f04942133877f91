"""OneRoster 1.2 CSV export and import of a school's roster (ROS-4)."""
