"""What each randomised subject is given: the planned administrations and their rules,
dispensing by the pharmacy, the bedside check and the infusion record.
"""
