"""Quality's pages: the customer's survey page (`survey_page`)."""
