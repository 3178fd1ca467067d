"""Encryption at rest of the records' sensitive fields, built once from the settings.

R-DATA-1: the national ID number is stored only as an AES-GCM token (with its key id, for
rotation) plus an HMAC blind index for exact lookup; responses show it masked.
R-REC-3 / R-DATA-5: counselling place, content and opinions are stored encrypted as well.
Associated data binds each token to its row and column, so a token copied elsewhere fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from portfolio_records.config import Settings
from portfolio_records.domain.crypto import BlindIndex, FieldCipher, parse_keys, token_kid
from portfolio_records.domain.national_id import mask_national_id, validate_national_id
from portfolio_shared.identifiers import fold_full_width
from portfolio_shared.sealing import DEV_SUBMISSION_PUBLIC_KEY, seal


@dataclass(frozen=True, slots=True)
class SealedNationalId:
    token: str
    kid: str
    index: str
    masked: str


class RecordsCrypto:
    def __init__(
        self, cipher: FieldCipher, national_id_index: BlindIndex, submission_public_key: str = DEV_SUBMISSION_PUBLIC_KEY
    ) -> None:
        self.cipher = cipher
        self.national_id_index = national_id_index
        self.submission_public_key = submission_public_key

    @classmethod
    def from_settings(cls, settings: Settings) -> RecordsCrypto:
        cipher = FieldCipher(parse_keys(settings.field_keys), settings.field_current_kid)
        index = BlindIndex.from_setting(settings.blind_index_key, purpose="students.national_id")
        return cls(cipher, index, settings.submission_public_key)

    def seal_for_submission(
        self, *, student_id: uuid.UUID, school_id: str, national_id_token: str, name: str, birth_date: str
    ) -> str:
        """The personal fields of the central database's workbooks, sealed for the submission service
        alone (design 1 of "Personal data in submission packages"); bound to the school and student."""
        payload = {
            "national_id": self.open_national_id(student_id, national_id_token),
            "name": name,
            "birth_date": birth_date,
        }
        return seal(self.submission_public_key, payload, context=f"{school_id}/{student_id}")

    # -- national ID (R-DATA-1) ---------------------------------------------------------------
    def seal_national_id(self, student_id: uuid.UUID, raw: str) -> SealedNationalId:
        """Validate (422 on a bad number), then encrypt, index and mask."""
        value = validate_national_id(raw)
        token = self.cipher.encrypt(value, _aad(student_id, "national_id"))
        return SealedNationalId(token, token_kid(token), self.national_id_index.compute(value), mask_national_id(value))

    def national_id_digest(self, raw: str) -> str:
        return self.national_id_index.compute(validate_national_id(raw))

    def national_id_lookup_digest(self, raw: str) -> str:
        """For searching only: full-width forms are folded first (the one documented normalisation),
        then the number is validated as strictly as a stored one (ASCII only, R-DATA-1). Entering a
        number (admission, correction) still refuses full-width input, so the typist fixes it."""
        return self.national_id_index.compute(validate_national_id(fold_full_width(raw)))

    def open_national_id(self, student_id: uuid.UUID, token: str) -> str:
        return self.cipher.decrypt(token, _aad(student_id, "national_id"))

    # -- other sensitive text -------------------------------------------------------------------
    def seal(self, row_id: uuid.UUID, column: str, value: str) -> str:
        return self.cipher.encrypt(value, _aad(row_id, column))

    def open(self, row_id: uuid.UUID, column: str, token: str) -> str:
        return self.cipher.decrypt(token, _aad(row_id, column))

    def reseal(self, row_id: uuid.UUID, column: str, token: str) -> str:
        """Re-encrypt under the current key (key rotation); a no-op for current tokens."""
        return self.cipher.reencrypt(token, _aad(row_id, column))


def _aad(row_id: uuid.UUID, column: str) -> bytes:
    return f"records:{row_id}:{column}".encode()
