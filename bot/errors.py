"""Domain errors whose message is safe and useful to show the person who caused them."""


class UserFacingError(Exception):
    """Raised by services or cogs; the error handler shows ``str(exc)`` ephemerally."""


class NotConfiguredError(UserFacingError):
    """A guild setting the command needs has not been set by an admin yet."""
