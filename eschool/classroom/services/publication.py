"""The evening publication, early publication, withdrawals, day notices."""
