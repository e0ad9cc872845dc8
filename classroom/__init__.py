"""The classroom: the pictures, the dashboard page and animations, in English and Danish."""
