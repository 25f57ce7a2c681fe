"""The Splunk face: search command, modular input, publishing and app settings."""
