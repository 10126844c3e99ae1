"""The matching questions, each one pipeline straight down: forward (need → experts, institutions,
outcomes), reverse (成果找企业), and open needs → match → allowed pairs for batch runs and plans."""
