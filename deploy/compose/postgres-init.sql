-- One database per service (each service owns its data; none reads another's).
CREATE DATABASE identity;
CREATE DATABASE records;
CREATE DATABASE artifacts;
CREATE DATABASE submission;
CREATE DATABASE notification;
