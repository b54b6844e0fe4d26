"""Tools around the apps: deploying to Spaces, publishing models and data, the local Hub."""
