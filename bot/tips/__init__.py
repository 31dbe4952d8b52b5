"""Coping-tips library: loader, search, selection, saved and server tips, tip of the day."""

from bot.tips.loader import Library, LibraryError, load_library
from bot.tips.models import Category, Source, Tip
from bot.tips.service import DailyPost, TipsService

__all__ = [
    "Category",
    "DailyPost",
    "Library",
    "LibraryError",
    "Source",
    "Tip",
    "TipsService",
    "load_library",
]
