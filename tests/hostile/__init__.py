"""Hostile and odd files, made by code, that students' phones and browsers could upload."""
