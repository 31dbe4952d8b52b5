"""Data rights, retention and guild departure (no discord).

Every feature that stores something about a person plugs in a ``DataProvider`` (see
``registry``); ``PrivacyService`` counts, exports and deletes across all of them.
"""

from bot.privacy.registry import DataProvider, MessageRef, ProviderRegistry
from bot.privacy.service import DeletionResult, PrivacyService

__all__ = ["DataProvider", "DeletionResult", "MessageRef", "PrivacyService", "ProviderRegistry"]
