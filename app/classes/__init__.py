"""Classes: a lecturer's class that students join by a short code and start their own runs in."""
