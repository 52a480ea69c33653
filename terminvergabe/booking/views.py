"""Citizen pages: choose office, services, day, time; enter details; manage the appointment."""

from flask import Blueprint

bp = Blueprint("booking", __name__)
