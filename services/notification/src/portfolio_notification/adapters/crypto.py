"""Contact data encrypted at rest: the platform's one field cipher (portfolio_shared.fieldcrypto).

``contact_keys`` is ``"<kid>:<base64 32-byte key>,..."``; the first key encrypts, all decrypt.
"""

from portfolio_shared.fieldcrypto import FieldCipher

__all__ = ["FieldCipher"]
