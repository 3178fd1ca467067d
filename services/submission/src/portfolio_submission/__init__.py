"""Submission service: batches to the central database, receipts, confirmation (提交與收訖確認)"""
