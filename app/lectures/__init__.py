"""Lectures as data: each a TOML file of scenes the page steps through in lecture mode."""
