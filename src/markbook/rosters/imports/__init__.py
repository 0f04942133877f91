"""Roster imports (ROS-2, ROS-3): each validates every row, then writes all or nothing."""
