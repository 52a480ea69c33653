"""A bare Flask app with one endpoint: the baseline of P4, served by the same gunicorn config."""

from flask import Flask

app = Flask(__name__)
PAGE = "<!DOCTYPE html><html lang=de><title>x</title><p>" + "Termin " * 800 + "</p></html>"


@app.get("/")
def page():
    return PAGE
