"""What a run leaves behind: its record (`record`), the files written and read back
(`report`), its outcome in numbers (`summary`), the check against history (`history`) and what
became of each side's plan (`plan_report`)."""
