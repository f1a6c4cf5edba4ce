"""learningorg: event-sourced learning-activity tracking for learning organisations."""

__version__ = "0.1.0"
