"""Notification service: inbox, e-mail and postal letters (通知)"""
